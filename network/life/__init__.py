"""The network's life (网点流程, seed 000; DESIGN §2.6): how an authorised service point joins the
network (入网申请 and its qualification documents), is qualified as a GPS-upgrade point, is
evaluated each quarter (考核) and graded, is suspended, reinstated or terminated, and how the
field technicians and the points' staff are trained (驻外技术员培训).

A sub-domain package of the platform app `network`, one module per layer (models, services,
selectors, forms, views, api, …). Like the rest of the platform it imports no business app: the
facts an evaluation scores (dispatches answered in time, visits on time, callbacks, complaints)
arrive through the platform hook `service_point_facts`, answered by repairs and complaints."""
